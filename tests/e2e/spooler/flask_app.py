"""A Flask app that sends its welcome mail from the spooler (@spool with
pass_arguments), as Flask apps do with uWSGI."""

import json
import os

import uwsgi
from flask import Flask, jsonify, request
from uwsgidecorators import spool

OUT = os.environ["OUT"]
app = Flask(__name__)


@spool(pass_arguments=True)
def send_welcome(email, name=None):
    tmp = os.path.join(OUT, ".welcome.tmp")
    with open(tmp, "w") as f:
        json.dump({"email": email, "name": name, "pid": os.getpid()}, f)
    os.rename(tmp, os.path.join(OUT, "welcome-" + email))


@app.post("/signup")
def signup():
    send_welcome(request.form["email"], name=request.form["name"])
    return jsonify(queued=True), 202


@app.get("/spooler")
def spooler():
    return jsonify(pid=uwsgi.spooler_pid())


application = app
