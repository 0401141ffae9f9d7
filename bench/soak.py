#!/usr/bin/python3
"""Mixed-load soak with faults for `vigil serve` (see bench/soak.sh).

For MINUTES, all at once against one server on SQLite: HTTP report submissions and page views,
SMTP sessions delivering real mail (new reports, replies threaded by In-Reply-To, two-part patch
series), patch uploads over the API, and scheduled disclosures (auto_disclose) that push to a
local bare repository and open issues and pull requests on a loopback fake forge. Meanwhile the
server is killed with SIGKILL at random moments and restarted, and the smarthost and the forge go
down (connection refused, or temporary failures) and come back.

At the end, with every fault lifted, it checks:
  - every report acknowledged (HTTP 201) is stored, exactly once;
  - every mail acknowledged (SMTP 250) is in its report exactly once (a new report, a reply in
    the thread, a patch), however often a client had to send it again;
  - every patch upload acknowledged (201) is a revision, exactly once;
  - no mail reached the smarthost twice (same Message-ID and recipient);
  - every disclosure that fell due was done exactly once: the report is disclosed, one issue and
    one pull request per branch on the forge, the branches pushed;
  - `vigil audit verify` is clean and `PRAGMA integrity_check` says ok;
  - the server logged no warning or error other than those the injected faults explain.
Prints figures; exits 1 if any check fails. Python standard library only.
"""

import argparse
import faulthandler
import http.client
import http.server
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SECURITY = "security@example.org"
REPO = "acme/widget"
FORGE_TOKEN = "forge-token"
# What the MTA in front of the intake (authserv-id mx.soak) adds to mail from reporter.example.
VOUCHED = "Authentication-Results: mx.soak; dmarc=pass header.from=reporter.example\n"


def log(msg):
    print(f"soak: {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = {}

    def add(self, key, by=1):
        with self.lock:
            self.n[key] = self.n.get(key, 0) + by

    def get(self, key):
        with self.lock:
            return self.n.get(key, 0)


# ----------------------------------------------------------------------------------------------
# The smarthost: a minimal SMTP server that records every message it accepts.


class Smarthost:
    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.delivered = {}  # (message-id, recipient) -> count
        self.mode = "up"  # up, refuse (not listening), tempfail (421 at the greeting)
        self.sock = None
        self.thread = None
        self.stopping = False
        self._listen()

    def _listen(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.sock = s
        self.thread = threading.Thread(target=self._accept, args=(s,), daemon=True)
        self.thread.start()

    def _accept(self, s):
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def set_mode(self, mode):
        if mode == self.mode:
            return
        if self.mode == "refuse":
            self._listen()
        self.mode = mode
        if mode == "refuse":
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def _session(self, conn):
        conn.settimeout(60)
        f = conn.makefile("rb")
        try:
            if self.mode == "tempfail":
                conn.sendall(b"421 4.3.2 soak: service not available\r\n")
                return
            conn.sendall(b"220 soak-smarthost ESMTP\r\n")
            rcpts = []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("latin-1").strip()
                verb = cmd.split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    conn.sendall(b"250-soak-smarthost\r\n250 8BITMIME\r\n")
                elif verb == "MAIL":
                    rcpts = []
                    conn.sendall(b"250 2.1.0 ok\r\n")
                elif verb == "RCPT":
                    m = re.search(r"<([^>]*)>", cmd)
                    rcpts.append(m.group(1) if m else cmd)
                    conn.sendall(b"250 2.1.5 ok\r\n")
                elif verb == "DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = []
                    while True:
                        dl = f.readline()
                        if not dl or dl in (b".\r\n", b".\n"):
                            break
                        data.append(dl)
                    text = b"".join(data).decode("utf-8", "replace")
                    m = re.search(r"^Message-ID:\s*<([^>]+)>", text, re.I | re.M)
                    mid = m.group(1) if m else "(none)"
                    with self.lock:
                        for r in rcpts:
                            key = (mid, r)
                            self.delivered[key] = self.delivered.get(key, 0) + 1
                    conn.sendall(b"250 2.0.0 queued\r\n")
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            pass
        finally:
            conn.close()


# ----------------------------------------------------------------------------------------------
# The forge: the part of GitHub's REST API Vigil uses, with pagination; records what it creates.


class Forge:
    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.items = []  # dicts: number, title, body, pull, head, base
        self.mode = "up"  # up, refuse, unavailable (503)
        self.server = None
        self._listen()

    def _listen(self):
        forge = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, code, obj):
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def _handle(self, method):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                if forge.mode == "unavailable":
                    return self._reply(503, {"message": "soak: forge unavailable"})
                if self.headers.get("Authorization") != "Bearer " + FORGE_TOKEN:
                    return self._reply(401, {"message": "Bad credentials"})
                path, _, query = self.path.partition("?")
                q = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                base = "/repos/" + REPO
                if path not in (base + "/issues", base + "/pulls"):
                    return self._reply(404, {"message": "Not Found"})
                pulls = path.endswith("/pulls")
                if method == "GET":
                    head = q.get("head", "").replace("%3A", ":").replace("%2F", "/")
                    with forge.lock:
                        rows = [i for i in forge.items if not pulls or i["pull"]]
                    if pulls and head:
                        rows = [i for i in rows if "acme:" + i["head"] == head]
                    per = int(q.get("per_page", "30"))
                    page = int(q.get("page", "1"))
                    rows = rows[(page - 1) * per : page * per]
                    return self._reply(200, [forge.json_of(i) for i in rows])
                try:
                    v = json.loads(raw)
                except ValueError:
                    return self._reply(400, {"message": "Problems parsing JSON"})
                if not v.get("title"):
                    return self._reply(422, {"message": "Validation Failed"})
                with forge.lock:
                    item = {
                        "number": len(forge.items) + 1,
                        "title": v.get("title", ""),
                        "body": v.get("body", ""),
                        "pull": pulls,
                        "head": v.get("head", ""),
                        "base": v.get("base", ""),
                    }
                    forge.items.append(item)
                return self._reply(201, forge.json_of(item))

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def json_of(self, i):
        kind = "pull" if i["pull"] else "issues"
        o = {
            "number": i["number"],
            "html_url": f"https://forge.example/{REPO}/{kind}/{i['number']}",
            "title": i["title"],
            "body": i["body"],
        }
        if i["pull"]:
            o["pull_request"] = {"url": o["html_url"]}
            o["head"] = {"ref": i["head"]}
            o["base"] = {"ref": i["base"]}
        return o

    def set_mode(self, mode):
        if mode == self.mode:
            return
        if self.mode == "refuse":
            self._listen()
        self.mode = mode
        if mode == "refuse":
            self.server.shutdown()
            self.server.server_close()


# ----------------------------------------------------------------------------------------------
# The project: a work repository with master and release-1.0, its bare remote, and fixes as
# format-patch mail.


class Project:
    def __init__(self, root):
        self.root = root
        self.work = os.path.join(root, "widget")
        self.remote = os.path.join(root, "remote.git")
        self.env = dict(
            os.environ,
            GIT_CONFIG_NOSYSTEM="1",
            HOME=os.path.join(root, "home"),
            TZ="UTC",
            GIT_AUTHOR_NAME="Maint",
            GIT_AUTHOR_EMAIL="m@acme.example",
            GIT_COMMITTER_NAME="Maint",
            GIT_COMMITTER_EMAIL="m@acme.example",
        )
        os.makedirs(self.env["HOME"], exist_ok=True)
        self.git(root, "init", "-q", "-b", "master", self.work)
        self.write("src/parse.c", "int parse(void) { return 0; }\n")
        self.commit("Initial parser")
        self.git(self.work, "branch", "release-1.0")
        self.git(root, "init", "-q", "--bare", self.remote)
        self.git(self.work, "remote", "add", "origin", self.remote)
        self.git(self.work, "push", "-q", "origin", "master", "release-1.0")

    def git(self, cwd, *args, env=None):
        r = subprocess.run(
            ["/usr/bin/git", "-C", cwd, *args], env=env or self.env, capture_output=True, text=True
        )
        if r.returncode != 0:
            raise RuntimeError(f"git {args[0]}: {r.stderr}")
        return r.stdout

    def write(self, rel, text):
        path = os.path.join(self.work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def commit(self, message, env=None):
        self.git(self.work, "add", "-A")
        self.git(self.work, "commit", "-q", "-m", message, env=env)

    def fix(self, name, parts):
        """A series of PARTS commits by Fiona adding files under fixes/NAME/, as an mbox."""
        fiona = dict(
            self.env,
            GIT_AUTHOR_NAME="Fiona Fixer",
            GIT_AUTHOR_EMAIL="fiona@example.org",
            GIT_AUTHOR_DATE="2026-03-04T05:06:07+01:00",
        )
        self.git(self.work, "checkout", "-q", "-b", "fix-" + name, "master")
        for p in range(parts):
            self.write(f"fixes/{name}/part{p}.c", f"/* fix {name}, part {p} */\nint f{p};\n")
            self.commit(f"Fix {name}, part {p + 1}\n\nBounds-check the {name} header.", fiona)
        mbox = self.git(self.work, "format-patch", "--stdout", "master..fix-" + name)
        self.git(self.work, "checkout", "-q", "master")
        self.git(self.work, "branch", "-q", "-D", "fix-" + name)
        return mbox


def split_mbox(mbox):
    """The mails of a format-patch mbox, without their "From <sha>" separator lines."""
    parts = re.split(r"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n", mbox, flags=re.M)
    return [p for p in parts if p.strip()]


# ----------------------------------------------------------------------------------------------
# The server under test.


class Server:
    def __init__(self, vigil, config, logdir):
        self.vigil = vigil
        self.config = config
        self.logdir = logdir
        self.proc = None
        self.starts = 0
        self.kills = 0
        self.lock = threading.Lock()

    def start(self):
        self.starts += 1
        err = open(os.path.join(self.logdir, f"serve-{self.starts:03d}.log"), "w")
        self.proc = subprocess.Popen(
            [self.vigil, "-c", self.config, "serve"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=dict(os.environ, VIGIL_LOG_LEVEL="info"),
        )
        err.close()
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"vigil serve did not start: {line!r}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def kill(self):
        self.kills += 1
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def run_vigil(vigil, config, *args, check=True):
    r = subprocess.run([vigil, "-c", config, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"vigil {' '.join(args[:2])}: {r.stderr.strip()}")
    return r


def set_keys(path, values):
    """Replaces the `key = value` lines of the config file PATH (first match of each key)."""
    with open(path) as f:
        lines = f.read().split("\n")
    for key, value in values.items():
        for i, line in enumerate(lines):
            if line.startswith(key + " = "):
                lines[i] = f"{key} = {value}"
                break
        else:
            raise RuntimeError("no config key " + key)
    with open(path, "w") as f:
        f.write("\n".join(lines))


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ----------------------------------------------------------------------------------------------
# The load: each worker records what the server acknowledged.


class Soak:
    def __init__(self, args):
        self.args = args
        self.root = tempfile.mkdtemp(prefix="vigil-soak-")
        self.stop = threading.Event()
        self.quiet = threading.Event()  # set at the end: no more faults
        self.counts = Counter()
        self.lock = threading.Lock()
        self.http_acked = {}  # nonce -> report id
        self.mail_acked = {}  # message id -> (kind, nonce)
        self.mail_reports = []  # (message id, reporter) of acknowledged mailed reports
        self.uploads = {}  # report id -> nonce of an acknowledged patch upload
        self.unexpected = []  # server answers no fault explains
        self.rng = random.Random(args.seed)

    # -- setup ---------------------------------------------------------------------------------

    def setup(self):
        a = self.args
        self.smarthost = Smarthost()
        self.forge = Forge()
        self.project = Project(self.root)
        d = os.path.join(self.root, "project")
        r = subprocess.run([a.vigil, "init", "--dir", d, "--port", "0"], capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("vigil init: " + r.stderr.decode())
        self.config = os.path.join(d, "vigil.toml")
        self.db = os.path.join(d, "data", "vigil.db")
        with open(os.path.join(d, "data", "initial-admin.txt")) as f:
            self.token = re.search(r"^token=(.*)$", f.read(), re.M).group(1)
        self.http_port, self.smtp_port = free_port(), free_port()
        set_keys(
            self.config,
            {
                "supported_branches": '["release-1.0"]',
                "maintainers": '["alice@example.org"]',
                "port": str(self.http_port),
                "submit_per_minute": "1000000",
                "work_per_minute": "0",
                "cna_org_id": '"b3476cb9-2e3d-41a6-98d0-0f47421a65b6"',
                "cna_short_name": '"acme"',
                "publisher_name": '"Acme Widgets"',
                "publisher_namespace": '"https://acme.example"',
                "package_name": '"acme.example/widget"',
                "repository_url": '"https://github.com/acme/widget"',
                "output_dir": '"published"',
                "forge_api_url": f'"http://127.0.0.1:{self.forge.port}"',
                "forge_repository": f'"{REPO}"',
                "forge_token": f'"{FORGE_TOKEN}"',
                "forge_timeout_seconds": "5",
                "auto_disclose": "true",
                "auto_disclose_interval_seconds": "2",
                "enabled": "true",
                "smtp_port": str(self.smtp_port),
                "connections_per_minute": "0",
                "messages_per_minute": "0",
                "authserv_id": '"mx.soak"',
                "smarthost": f'"smtp://127.0.0.1:{self.smarthost.port}"',
                "smarthost_timeout_seconds": "5",
                "max_attempts": "100",
                "retry_base_seconds": "1",
                "retry_max_seconds": "4",
                "path": f'"{self.project.work}"',
                "committer_name": '"Vigil"',
                "committer_email": '"vigil@acme.example"',
            },
        )
        self.vigil("user", "add", "alice@example.org", "--role", "maintainer")
        self.series = split_mbox(self.project.fix("mailed", 2))
        self.upload_mbox = self.project.fix("uploaded", 1)
        self.disclosures = [self.prepare_disclosure(i) for i in range(a.disclosures)]
        self.server = Server(a.vigil, self.config, self.root)

    def vigil(self, *args, check=True):
        return run_vigil(self.args.vigil, self.config, *args, check=check)

    def prepare_disclosure(self, i):
        """A level-1 report with an approved fix and a complete advisory, ready to schedule."""
        sub = self.vigil(
            "report", "submit", "--subject", f"Heap overflow {i} in parse_header",
            "--steps", f"SECRET-STEPS {i}", "--reporter-email", f"rita{i}@reporter.example",
            "--reporter-name", f"Rita {i}")
        rid = sub.stdout.split("\n")[0]
        self.vigil("report", "assign", rid, "--to", "alice@example.org")
        self.vigil("report", "confirm", rid)
        self.vigil("report", "classify", rid, "--level", "1")
        path = os.path.join(self.root, f"fix-{i}.mbox")
        with open(path, "w") as f:
            f.write(self.project.fix(f"disclosed{i}", 1))
        self.vigil("patch", "submit", rid, path)
        self.vigil("patch", "approve", rid, "s1v1", "--as", "alice@example.org")
        self.vigil("advisory", "edit", rid, "--title", f"Heap overflow {i} in parse_header",
                   "--summary", "An over-long header overflows the copy buffer.", "--cvss",
                   "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--cwe",
                   "CWE-122:Heap-based Buffer Overflow")
        self.vigil("advisory", "credit", rid, "--email", f"rita{i}@reporter.example", "--name",
                   f"Rita {i}", "--type", "reporter", "--consent", "named")
        self.vigil("advisory", "credit", rid, "--email", "fiona@example.org", "--name",
                   "Fiona Fixer", "--type", "remediation developer", "--consent", "named")
        self.vigil("advisory", "set-id", rid, f"CVE-2026-{31000 + i}")
        return rid

    def schedule(self):
        """Slots spread over the first 80 % of the run; each confirmed by alice."""
        span = self.args.minutes * 60 * 0.8
        self.slots = {}
        for i, rid in enumerate(self.disclosures):
            slot = int(time.time() + 5 + span * (i + 1) / (len(self.disclosures) + 1))
            self.vigil("plan", "schedule", rid, "--slot", utc(slot), "--on-duty",
                       "alice@example.org", "--notice-days", "0")
            self.vigil("plan", "confirm", rid, "--as", "alice@example.org")
            self.slots[rid] = slot

    # -- HTTP ----------------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        """(status, parsed JSON or text), or None when the server is not reachable."""
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.counts.add("http unreachable")
            return None
        finally:
            c.close()
        if r.status >= 500:
            self.unexpected.append(f"HTTP {r.status} for {method} {path}: {data[:200]!r}")
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, data.decode("utf-8", "replace")

    def http_worker(self, n):
        auth = {"Authorization": "Bearer " + self.token}
        seq = 0
        started = time.time()
        while not self.stop.is_set():
            started = self.pace(started)
            seq += 1
            roll = self.rng.random()
            if roll < 0.5:
                nonce = f"NONCE-http-{n}-{seq}."  # the dot ends it: -1. is no prefix of -10.
                body = json.dumps({"subject": f"Soak report {nonce}",
                                   "steps": f"Steps of {nonce}",
                                   "reporter_email": f"hanna{n}@reporter.example"})
                r = self.request("POST", "/api/v1/reports", body,
                                 {"Content-Type": "application/json"})
                if r and r[0] == 201:
                    with self.lock:
                        self.http_acked[nonce] = r[1]["id"]
                    self.counts.add("http reports acknowledged")
                elif r:
                    self.unexpected.append(f"report submission answered {r[0]}: {r[1]}")
            elif roll < 0.6:
                with self.lock:
                    candidates = [i for i in self.http_acked.values() if i not in self.uploads]
                if not candidates:
                    continue
                rid = self.rng.choice(candidates)
                with self.lock:
                    if rid in self.uploads:
                        continue
                    self.uploads[rid] = None  # claimed
                r = self.request("POST", f"/api/v1/reports/{rid}/patches", self.upload_mbox,
                                 dict(auth, **{"Content-Type": "application/mbox"}))
                if r and r[0] == 201:
                    with self.lock:
                        self.uploads[rid] = "acked"
                    self.counts.add("patch uploads acknowledged")
                elif r:
                    self.unexpected.append(f"patch upload answered {r[0]}: {r[1]}")
            else:
                with self.lock:
                    ids = list(self.http_acked.values())
                paths = ["/", "/healthz", "/api/v1/reports?limit=20"]
                if ids:
                    rid = self.rng.choice(ids)
                    paths += [f"/api/v1/reports/{rid}", f"/api/v1/reports/{rid}/thread"]
                path = self.rng.choice(paths)
                r = self.request("GET", path, headers=auth)
                if r and r[0] == 200:
                    self.counts.add("page views")
                elif r:
                    self.unexpected.append(f"GET {path} answered {r[0]}")

    def pace(self, last):
        """Sleeps until 1/RATE s after LAST (the previous operation's start); returns the new
        start. Unpaced when --rate is 0."""
        if not self.args.rate:
            return time.time()
        wait = last + 1.0 / self.args.rate - time.time()
        if wait > 0:
            self.stop.wait(wait)
        return max(time.time(), last + 1.0 / self.args.rate)

    # -- SMTP ----------------------------------------------------------------------------------

    def smtp_send(self, mail_from, text):
        """True when the server answered 250 to the message; False on any failure."""
        import smtplib

        try:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as s:
                s.sendmail(mail_from, [SECURITY], text.encode())
            return True
        except (OSError, smtplib.SMTPException) as e:
            code = getattr(e, "smtp_code", 0) or 0
            if isinstance(e, smtplib.SMTPResponseException) and code >= 500:
                self.unexpected.append(f"SMTP {code}: {e}")
            if isinstance(e, smtplib.SMTPRecipientsRefused):
                self.unexpected.append(f"SMTP recipients refused: {e}")
            return False

    def deliver(self, message_id, kind, nonce, mail_from, text):
        """Delivers like an MTA: the same message again until acknowledged (or the run ends)."""
        for attempt in range(50):
            if self.smtp_send(mail_from, text):
                with self.lock:
                    self.mail_acked[message_id] = (kind, nonce)
                self.counts.add(f"mail {kind}s acknowledged")
                if attempt:
                    self.counts.add("mail sent again after a failure")
                return True
            if self.stop.is_set() and not self.quiet.is_set():
                return False
            time.sleep(0.2)
        return False

    def mail_worker(self, n):
        seq = 0
        started = time.time()
        while not self.stop.is_set():
            started = self.pace(started)
            seq += 1
            roll = self.rng.random()
            date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
            with self.lock:
                known = list(self.mail_reports)
            if roll < 0.5 or not known:
                nonce = f"NONCE-mail-{n}-{seq}."  # the dot ends it: -1. is no prefix of -10.
                mid = f"soak-report-{n}-{seq}@reporter.example"
                sender = f"rita-{n}-{seq}@reporter.example"
                text = (f"From: Rita <{sender}>\nTo: {SECURITY}\nSubject: Soak mail {nonce}\n"
                        f"Date: {date}\nMessage-ID: <{mid}>\n\nSteps of {nonce}\n")
                if self.deliver(mid, "report", nonce, sender, text):
                    with self.lock:
                        self.mail_reports.append((mid, sender))
            elif roll < 0.85:
                parent, sender = self.rng.choice(known)
                nonce = f"NONCE-reply-{n}-{seq}."  # the dot ends it: -1. is no prefix of -10.
                mid = f"soak-reply-{n}-{seq}@reporter.example"
                # The MTA in front of the intake vouches for the sender ([mail] authserv_id):
                # without that, or the reporter's reply address, a reply is held unverified.
                text = (f"{VOUCHED}From: Rita <{sender}>\nTo: {SECURITY}\nSubject: Re: Soak mail\n"
                        f"Date: {date}\nMessage-ID: <{mid}>\nIn-Reply-To: <{parent}>\n"
                        f"References: <{parent}>\n\nMore about it: {nonce}\n")
                self.deliver(mid, "reply", nonce, sender, text)
            else:
                parent, sender = self.rng.choice(known)
                for part, mail in enumerate(self.series):
                    mid = f"soak-patch-{n}-{seq}-{part}@reporter.example"
                    head, _, body = mail.partition("\n\n")
                    head = re.sub(r"^From: .*$", f"From: Rita <{sender}>", head, flags=re.M)
                    text = (f"{VOUCHED}{head}\nTo: {SECURITY}\nMessage-ID: <{mid}>\n"
                            f"In-Reply-To: <{parent}>\nReferences: <{parent}>\n\n"
                            f"From: Fiona Fixer <fiona@example.org>\n\n{body}")
                    if not self.deliver(mid, "patch", mid, sender, text):
                        break

    # -- faults --------------------------------------------------------------------------------

    def chaos(self):
        """SIGKILLs and restarts the server, and takes the smarthost and forge down and up."""
        next_kill = time.time() + self.rng.uniform(*self.args.kill_every)
        next_fault = time.time() + self.rng.uniform(5, 15)
        while not self.stop.is_set():
            time.sleep(0.1)
            now = time.time()
            if now >= next_kill:
                self.server.kill()
                time.sleep(self.rng.uniform(0, 1))
                self.server.start()
                next_kill = now + self.rng.uniform(*self.args.kill_every)
            if now >= next_fault:
                self.smarthost.set_mode(self.rng.choice(["up", "up", "refuse", "tempfail"]))
                self.forge.set_mode(self.rng.choice(["up", "up", "refuse", "unavailable"]))
                next_fault = now + self.rng.uniform(5, 15)

    # -- the run -------------------------------------------------------------------------------

    def run(self):
        a = self.args
        t0 = time.time()
        self.setup()
        log(f"setup in {time.time() - t0:.1f} s: {len(self.disclosures)} reports ready to "
            f"disclose; data in {self.root}")
        self.server.start()
        self.schedule()
        workers = [threading.Thread(target=self.http_worker, args=(n,)) for n in range(a.http)]
        workers += [threading.Thread(target=self.mail_worker, args=(n,)) for n in range(a.smtp)]
        chaos = threading.Thread(target=self.chaos)
        start = time.time()
        for w in workers + [chaos]:
            w.start()
        deadline = start + a.minutes * 60
        while time.time() < deadline:
            time.sleep(min(30, max(0.1, deadline - time.time())))
            log(f"{time.time() - start:6.0f} s: {self.summary()}")
        self.stop.set()
        chaos.join()
        # The faults end; what is still being resent is delivered now.
        self.quiet.set()
        self.smarthost.set_mode("up")
        self.forge.set_mode("up")
        for w in workers:
            w.join()
        elapsed = time.time() - start
        settled = self.settle()
        code = self.server.stop()
        failures = self.check(settled, code)
        self.report(elapsed, failures)
        return 1 if failures else 0

    def summary(self):
        c = self.counts
        return (f"{c.get('http reports acknowledged')} reports, "
                f"{c.get('mail reports acknowledged')} mailed reports, "
                f"{c.get('mail replys acknowledged')} replies, "
                f"{c.get('mail patchs acknowledged')} patch mails, "
                f"{c.get('patch uploads acknowledged')} uploads, {c.get('page views')} views, "
                f"{self.server.kills} kills")

    def query(self, sql, *params):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def settle(self):
        """Waits (at most SETTLE seconds) until the inbox is processed, the outbox drained and
        every disclosure done. Returns what is still outstanding (empty when settled)."""
        deadline = time.time() + self.args.settle
        marks = ",".join("?" * len(self.disclosures))
        while True:
            left = {
                "inbox": self.query("SELECT count(*) FROM mail_inbox WHERE state <> 'processed'")[0][0],
                "outbox": self.query(
                    "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")[0][0],
                "disclosures": self.query(
                    f"SELECT count(*) FROM reports WHERE id IN ({marks}) AND state <> 'disclosed'",
                    *self.disclosures)[0][0],
            }
            left = {k: v for k, v in left.items() if v}
            if not left or time.time() > deadline:
                return left
            time.sleep(0.5)

    # -- the checks ----------------------------------------------------------------------------

    def check(self, outstanding, stop_code):
        f = []
        if stop_code != 0:
            f.append(f"vigil serve exited {stop_code} on SIGTERM")
        if outstanding:
            f.append(f"not settled {self.args.settle} s after the faults ended: {outstanding}")
        f += [f"unexpected answer: {u}" for u in self.unexpected[:20]]
        # Each table is read once and its nonces counted here: a query per acknowledged item
        # would scan the table tens of thousands of times.
        nonce = re.compile(r"NONCE-[a-z]+-\d+-\d+\.")

        def count_nonces(sql):
            counts = {}
            for (text,) in self.query(sql):
                for found in nonce.findall(text or ""):
                    counts[found] = counts.get(found, 0) + 1
            return counts

        # Reports acknowledged over HTTP: stored, once.
        by_nonce = {}
        for rid, subject in self.query(
                "SELECT id, subject FROM reports WHERE subject LIKE 'Soak report %'"):
            by_nonce.setdefault(subject.split(" ")[-1], []).append(rid)
        for n, rid in self.http_acked.items():
            got = by_nonce.get(n, [])
            if got != [rid]:
                f.append(f"HTTP report {n} acknowledged as {rid}, stored as {got}")
        # Mail acknowledged: in its report exactly once.
        in_reports = count_nonces("SELECT steps FROM reports WHERE subject LIKE 'Soak mail %'")
        in_messages = count_nonces("SELECT body FROM messages")
        patch_ids = {}
        for (mid,) in self.query("SELECT message_id FROM mail_patches"):
            key = mid.strip("<>")
            patch_ids[key] = patch_ids.get(key, 0) + 1
        for mid, (kind, n) in self.mail_acked.items():
            if kind == "report":
                found = in_reports.get(n, 0)
            elif kind == "reply":
                found = in_messages.get(n, 0)
            else:
                found = patch_ids.get(mid, 0)
            if found != 1:
                f.append(f"mail {mid} ({kind}) acknowledged, found {found} times")
        # Patch uploads acknowledged: one revision each.
        revisions = dict(self.query(
            "SELECT report_id, count(*) FROM patch_revisions GROUP BY report_id"))
        for rid, state in self.uploads.items():
            n = revisions.get(rid, 0)
            if state == "acked" and n != 1:
                f.append(f"patch upload to {rid} acknowledged, {n} revisions stored")
            if n > 1:
                f.append(f"patch upload to {rid}: {n} revisions from one upload")
        # Outbound mail: never twice to the smarthost.
        with self.smarthost.lock:
            twice = {k: v for k, v in self.smarthost.delivered.items() if v > 1}
        for (mid, rcpt), n in list(twice.items())[:20]:
            f.append(f"mail {mid} reached the smarthost {n} times for {rcpt}")
        # Disclosures: each exactly once.
        with self.forge.lock:
            items = list(self.forge.items)
        for rid in self.disclosures:
            state = self.query("SELECT state FROM reports WHERE id = ?", rid)[0][0]
            if state != "disclosed":
                f.append(f"{rid} is {state}, not disclosed, after its slot")
            issues = [i for i in items if not i["pull"] and f"Advisory: {rid}\n" in i["body"]]
            if len(issues) != 1:
                f.append(f"{rid}: {len(issues)} public issues on the forge")
            for branch in ("master", "release-1.0"):
                pulls = [i for i in items if i["pull"] and i["base"] == branch and rid in i["head"]]
                if len(pulls) != 1:
                    f.append(f"{rid}: {len(pulls)} pull requests for {branch}")
        heads = self.project.git(self.project.remote, "for-each-ref", "--format=%(refname)")
        for rid in self.disclosures:
            for branch in ("master", "release-1.0"):
                if f"refs/heads/security/{rid}-{branch}" not in heads:
                    f.append(f"{rid}: branch security/{rid}-{branch} not pushed")
        # The audit chain and the database.
        audit = self.vigil("audit", "verify", check=False)
        if audit.returncode != 0:
            f.append(f"vigil audit verify: {audit.stdout.strip()} {audit.stderr.strip()}")
        integrity = self.query("PRAGMA integrity_check")[0][0]
        if integrity != "ok":
            f.append(f"PRAGMA integrity_check: {integrity}")
        # The log: nothing but what the injected faults explain.
        self.fault_lines = 0
        for name in sorted(os.listdir(self.root)):
            if not name.startswith("serve-"):
                continue
            with open(os.path.join(self.root, name)) as fh:
                for line in fh:
                    why = self.unexplained(line)
                    if why:
                        f.append(f"{name}: {why}")
        return f

    EXPLAINED = (
        "mail: delivery failed",  # the smarthost is down or answers 421
        "mail: delivery in doubt after a restart; not sent again",  # a SIGKILL mid-delivery
        "auto-disclose",  # the forge is down: the disclosure stops and resumes
        "auto-disclose failed",
    )

    def unexplained(self, line):
        try:
            entry = json.loads(line)
        except ValueError:
            return f"not a log line: {line.strip()[:200]}"
        if entry.get("level") not in ("warning", "error", "critical"):
            return None
        if entry.get("msg") in self.EXPLAINED:
            self.fault_lines += 1
            return None
        return line.strip()[:300]

    def report(self, elapsed, failures):
        c = self.counts
        in_doubt = self.query(
            "SELECT count(*) FROM outbox WHERE last_error LIKE 'in doubt:%'")[0][0]
        sent = self.query("SELECT count(*) FROM outbox WHERE state = 'sent'")[0][0]
        minutes = elapsed / 60
        log(f"ran {elapsed:.0f} s with {self.server.kills} SIGKILLs "
            f"({self.server.starts} starts)")
        for key in ("http reports acknowledged", "mail reports acknowledged",
                    "mail replys acknowledged", "mail patchs acknowledged",
                    "patch uploads acknowledged", "page views"):
            log(f"  {key:28s} {c.get(key):8d}  ({c.get(key) / minutes:8.1f}/min)")
        log(f"  mail sent again by clients    {c.get('mail sent again after a failure'):8d}")
        log(f"  outbound mail sent            {sent:8d}  ({in_doubt} in doubt after a kill, "
            "dead-lettered for the operator)")
        log(f"  disclosures done              {len(self.disclosures):8d}")
        log(f"  log lines explained by faults {getattr(self, 'fault_lines', 0):8d}")
        if failures:
            log(f"FAILED: {len(failures)} check(s)")
            for line in failures[:50]:
                log("  " + line)
        else:
            log("all checks passed: every acknowledged report, mail and upload stored exactly "
                "once, no mail sent twice, every due disclosure done once, audit chain clean")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vigil", default="build/vigil")
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--http", type=int, default=4, help="HTTP client threads")
    p.add_argument("--smtp", type=int, default=4, help="SMTP client threads")
    p.add_argument("--rate", type=float, default=5,
                   help="operations a second per client thread (0: as fast as answered); the "
                   "default keeps the outbound mail it causes within what the sender drains")
    p.add_argument("--disclosures", type=int, default=0,
                   help="reports scheduled to disclose (default: 3 a minute, at least 4)")
    p.add_argument("--kill-every", type=float, nargs=2, default=(5, 20),
                   help="seconds between SIGKILLs: a random value in [MIN, MAX]")
    p.add_argument("--settle", type=float, default=120)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--keep", action="store_true", help="keep the data folder")
    a = p.parse_args()
    if not a.disclosures:
        a.disclosures = max(4, int(a.minutes * 3))
    log(f"seed {a.seed}")
    # A hang fails with every thread's stack rather than silently running into a test timeout.
    faulthandler.dump_traceback_later(a.minutes * 60 + a.settle + 300, exit=True)
    soak = Soak(a)
    try:
        code = soak.run()
    finally:
        if soak.__dict__.get("server") and soak.server.proc and soak.server.proc.poll() is None:
            soak.server.proc.kill()
        if not a.keep and code_ok(locals()):
            subprocess.run(["rm", "-rf", soak.root])
    sys.exit(code)


def code_ok(scope):
    return scope.get("code") == 0


if __name__ == "__main__":
    main()
