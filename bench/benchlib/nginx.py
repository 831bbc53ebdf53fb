"""The nginx path: a private nginx (own prefix, config and loopback ports) in front of
uwsgid and uWSGI over uwsgi_pass unix sockets, plus `return 200` as the machine's ceiling (and,
for the static app, nginx serving the same file itself).
"""

import os
from dataclasses import dataclass
from pathlib import Path

from . import procs, runner
from .apps import STATIC_PREFIX, App
from .servers import Context, Listen, Variant

# nginx's conf/uwsgi_params, written into the private prefix so the system copy does not matter.
UWSGI_PARAMS = """\
uwsgi_param  QUERY_STRING       $query_string;
uwsgi_param  REQUEST_METHOD     $request_method;
uwsgi_param  CONTENT_TYPE       $content_type;
uwsgi_param  CONTENT_LENGTH     $content_length;
uwsgi_param  REQUEST_URI        $request_uri;
uwsgi_param  PATH_INFO          $document_uri;
uwsgi_param  DOCUMENT_ROOT      $document_root;
uwsgi_param  SERVER_PROTOCOL    $server_protocol;
uwsgi_param  REQUEST_SCHEME     $scheme;
uwsgi_param  HTTPS              $https if_not_empty;
uwsgi_param  REMOTE_ADDR        $remote_addr;
uwsgi_param  REMOTE_PORT        $remote_port;
uwsgi_param  SERVER_PORT        $server_port;
uwsgi_param  SERVER_NAME        $server_name;
"""

CEILING = "nginx-return-200"


@dataclass
class Layout:
    """Ports of the private nginx: one per backend, one for the ceiling; sockets per backend."""

    prefix: Path
    ceiling_port: int
    backend_ports: dict[str, int]
    sockets: dict[str, str]
    #: What the ceiling port serves under STATIC_PREFIX.
    static_dir: Path


def layout(prefix: Path, variants: list[Variant], static_dir: Path) -> Layout:
    prefix.mkdir(parents=True, exist_ok=True)
    ports = {v.name: procs.free_port() for v in variants}
    sockets = {v.name: str(prefix / f"{v.name}.sock") for v in variants}
    return Layout(prefix, procs.free_port(), ports, sockets, static_dir)


def write_config(lay: Layout, workers: int) -> Path:
    (lay.prefix / "uwsgi_params").write_text(UWSGI_PARAMS)
    # As root, nginx's workers would run as nobody and could not connect to root's sockets.
    user = "user root;\n" if os.geteuid() == 0 else ""
    servers = [
        f"""    server {{
        listen 127.0.0.1:{lay.ceiling_port};
        location / {{ return 200 "Hello World"; }}
        location {STATIC_PREFIX}/ {{ alias {lay.static_dir}/; types {{ text/css css; }} }}
    }}"""
    ]
    for name, port in lay.backend_ports.items():
        servers.append(f"""    server {{
        listen 127.0.0.1:{port};
        location / {{
            include {lay.prefix}/uwsgi_params;
            uwsgi_pass unix:{lay.sockets[name]};
        }}
    }}""")
    conf = f"""{user}worker_processes {workers};
daemon off;
pid {lay.prefix}/nginx.pid;
error_log {lay.prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {lay.prefix}/client_body;
    proxy_temp_path {lay.prefix}/proxy;
    fastcgi_temp_path {lay.prefix}/fastcgi;
    uwsgi_temp_path {lay.prefix}/uwsgi;
    scgi_temp_path {lay.prefix}/scgi;
{chr(10).join(servers)}
}}
"""
    path = lay.prefix / "nginx.conf"
    path.write_text(conf)
    return path


def start_nginx(nginx: str, lay: Layout, workers: int, log_dir: Path) -> procs.Server:
    conf = write_config(lay, workers)
    cmd = [nginx, "-p", str(lay.prefix), "-e", str(lay.prefix / "error.log"), "-c", str(conf)]
    return procs.start("nginx", cmd, lay.prefix, log_dir, lay.ceiling_port)


def run_cell(
    ctx: Context,
    app: App,
    n: int,
    variants: list[Variant],
    settings: runner.Settings,
    nginx_server: procs.Server,
    lay: Layout,
) -> list[runner.Result]:
    """Backends on unix sockets, loaded through nginx; the nginx ceiling is measured alongside
    (its own CPU is the server's CPU there, so it has no front)."""
    listens = {
        v.name: Listen(port=lay.backend_ports[v.name], unix=lay.sockets[v.name]) for v in variants
    }
    for sock in lay.sockets.values():
        Path(sock).unlink(missing_ok=True)
    running: list[runner.Running] = []
    try:
        runner.start_servers(
            ctx, app, n, variants, settings, listens, f"nginx-{app.name}-p{n}", running
        )
        for item in running:
            item.front = nginx_server  # nginx's CPU per request is read for every backend row
        label = (
            "nginx serving the file (ceiling)"
            if app.name == "static"
            else "nginx `return 200` (ceiling)"
        )
        ceiling = runner.Result(CEILING, label)
        # The ceiling row is nginx itself; it is stopped by the caller, not here.
        running.append(
            runner.Running(
                Variant(CEILING, ceiling.label, None), nginx_server, lay.ceiling_port, ceiling
            )
        )
        runner.run_rounds(running, app, settings)
    finally:
        runner.stop_all([r for r in running if r.server is not nginx_server])
    return [r.result for r in running]
