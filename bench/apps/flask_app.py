"""A small Flask app (routing, request object, JSON response): a typical framework request."""

from flask import Flask, jsonify, request

app = Flask(__name__)
application = app


@app.route("/")
def index():
    agent = request.headers.get("User-Agent")
    return jsonify(message="Hello World", path=request.path, agent=agent)
