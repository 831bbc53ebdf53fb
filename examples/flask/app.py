"""The example app of `scripts/example`: a small Flask site served by uwsgid.

    curl http://127.0.0.1:8080/
    curl http://127.0.0.1:8080/hello/world
    curl -d 'note=hi' http://127.0.0.1:8080/notes
"""

import os
import sys

from flask import Flask, jsonify, request

app = Flask(__name__)
NOTES = []


@app.get("/")
def index():
    return jsonify(
        message="Hello from Flask on uwsgid",
        worker_pid=os.getpid(),
        python=sys.version.split()[0],
        virtualenv=sys.prefix,
    )


@app.get("/hello/<name>")
def hello(name):
    return f"Hello, {name}!\n"


@app.post("/notes")
def add_note():
    # Each worker keeps its own list: workers share nothing but the code.
    NOTES.append(request.form.get("note", ""))
    return jsonify(worker_pid=os.getpid(), notes=NOTES), 201
