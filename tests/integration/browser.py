"""Headless Debian Chromium, driven through tests/browser/driver.mjs
(playwright-core from npm), for tests that run real web clients."""

import asyncio
import itertools
import json
import os
import shutil

from parley_harness import REPO

BROWSER_DIR = os.path.join(REPO, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing():
    """Why browser tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not installed (scripts/deps --test installs it)"
    if not shutil.which("node"):
        return "node not installed (scripts/deps --test installs it)"
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        return "playwright-core not installed (npm ci in tests/browser; scripts/test does it)"
    if not os.path.exists(os.path.join(REPO, "web", "vendor", "strophe.min.js")):
        return "Strophe.js not installed (npm ci in web/; scripts/test does it)"
    return None


class Browser:
    def __init__(self):
        self.proc = None
        self.ids = itertools.count(1)
        self.pending = {}
        self.stderr = []

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            "node", os.path.join(BROWSER_DIR, "driver.mjs"), cwd=BROWSER_DIR,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**os.environ, "CHROMIUM": CHROMIUM})
        self.reader = asyncio.ensure_future(self._read())
        self.err_reader = asyncio.ensure_future(self._read_stderr())
        return self

    async def _read(self):
        async for line in self.proc.stdout:
            answer = json.loads(line)
            fut = self.pending.pop(answer["id"], None)
            if fut and not fut.done():
                if answer["ok"]:
                    fut.set_result(answer.get("result"))
                else:
                    fut.set_exception(AssertionError("browser: " + answer["error"]))
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(AssertionError("browser driver exited:\n" + self.log()))

    async def _read_stderr(self):
        async for line in self.proc.stderr:
            self.stderr.append(line.decode(errors="replace").rstrip())

    def log(self):
        return "\n".join(self.stderr[-200:])

    async def call(self, op, timeout=30, **kw):
        cid = next(self.ids)
        fut = asyncio.get_running_loop().create_future()
        self.pending[cid] = fut
        self.proc.stdin.write((json.dumps({"id": cid, "op": op, **kw}) + "\n").encode())
        await self.proc.stdin.drain()
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"browser: {op} took over {timeout} s\n" + self.log())

    async def page(self, url, init=None):
        """A new page at `url`; `init` is script text run before the page's own."""
        return await self.call("page", url=url, init=init)

    async def eval(self, page, js, arg=None, timeout=30):
        return await self.call("eval", page=page, js=js, arg=arg, timeout=timeout)

    async def close(self):
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            await self.call("close", timeout=20)
        finally:
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
            self.reader.cancel()
            self.err_reader.cancel()
