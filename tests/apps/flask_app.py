"""A Flask app covering what real Flask sites do: pages, forms, JSON, file
uploads, redirects, cookies and streamed responses. Served from the test
virtualenv (uwsgid --home), so /info also tells where Flask came from."""

import hashlib
import os
import sys

import flask
from flask import Flask, Response, jsonify, redirect, request, stream_with_context, url_for

app = Flask(__name__)
application = app


@app.get("/")
def index():
    return "hello from flask\n"


@app.get("/info")
def info():
    return jsonify(pid=os.getpid(), prefix=sys.prefix, flask_file=flask.__file__,
                   method=request.method)


@app.post("/form")
def form():
    return jsonify({key: request.form.getlist(key) for key in request.form})


@app.post("/json")
def json_echo():
    data = request.get_json(silent=True)
    if data is None:
        return jsonify(error="bad json"), 400
    return jsonify(received=data, content_type=request.content_type)


@app.post("/upload")
def upload():
    files = {}
    for name, storage in request.files.items():
        content = storage.read()
        files[name] = {"filename": storage.filename, "size": len(content),
                       "sha256": hashlib.sha256(content).hexdigest()}
    return jsonify(files=files, fields=request.form.to_dict())


@app.get("/urls")
def urls():
    """What Flask makes of the mountpoint: url_for carries SCRIPT_NAME."""
    return jsonify(index=url_for("index"), info=url_for("info"),
                   script_root=request.script_root, path=request.path)


@app.get("/redirect")
def to_index():
    return redirect("/")


@app.get("/cookie/set")
def cookie_set():
    response = flask.make_response("cookie set\n")
    response.set_cookie("flavour", request.args.get("value", "oatmeal"), httponly=True)
    return response


@app.get("/cookie/get")
def cookie_get():
    return jsonify(flavour=request.cookies.get("flavour"))


@app.get("/stream")
def stream():
    count = int(request.args.get("n", "5"))

    def chunks():
        for i in range(count):
            yield f"chunk {i}\n"

    return Response(stream_with_context(chunks()), mimetype="text/plain")
