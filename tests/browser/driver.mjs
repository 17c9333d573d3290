// Drives Debian's headless Chromium for the Python integration tests: one JSON
// command per line on stdin, one JSON answer per line on stdout. Pages' console
// output and errors go to stderr, so a failing test shows what the page saw.
// Pages open in browser context 0 unless told otherwise; each further context
// ("op":"context") has its own cookies and storage, like a second browser.
//
//   {"id":1,"op":"page","url":"http://127.0.0.1:5280/"}   -> {"id":1,"ok":true,"result":0}
//   {"id":2,"op":"context"}                                -> {"id":2,"ok":true,"result":1}
//   {"id":3,"op":"page","url":"…","context":1}             -> {"id":3,"ok":true,"result":1}
//   {"id":4,"op":"eval","page":0,"js":"(a) => a + 1","arg":41} -> {"id":4,"ok":true,"result":42}
//   {"id":5,"op":"screenshot","page":0,"path":"/tmp/x.png"}
//   {"id":6,"op":"close"}
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

// playwright keeps the profile in a temporary directory of its own and removes
// it when the browser closes.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const newContext = () => browser.newContext({
  viewport: { width: 1000, height: 700 },
  // The test server's certificate is self-signed.
  ignoreHTTPSErrors: true,
});
const contexts = [await newContext()];
const pages = [];

async function handle(cmd) {
  switch (cmd.op) {
    case 'context':
      contexts.push(await newContext());
      return contexts.length - 1;
    case 'page': {
      const context = contexts[cmd.context ?? 0];
      if (!context) throw new Error(`no context ${cmd.context}`);
      const page = await context.newPage();
      const n = pages.length;
      page.on('console', (m) => process.stderr.write(`[page ${n}] ${m.type()}: ${m.text()}\n`));
      page.on('pageerror', (e) => process.stderr.write(`[page ${n}] error: ${e.message}\n`));
      pages.push(page);
      if (cmd.init) await page.addInitScript(cmd.init);  // runs before the page's scripts
      await page.goto(cmd.url);
      return n;
    }
    case 'eval': {
      // The function text is evaluated in the page; its promise is awaited.
      return await pages[cmd.page].evaluate(
        ([js, arg]) => (0, eval)(js)(arg), [cmd.js, cmd.arg ?? null]);
    }
    case 'fill':
      return await pages[cmd.page].fill(cmd.selector, cmd.value);
    case 'click':
      return await pages[cmd.page].click(cmd.selector);
    case 'wait':
      await pages[cmd.page].waitForSelector(
        cmd.selector, { timeout: cmd.timeout ?? 10000, state: cmd.state ?? 'visible' });
      return true;
    case 'wait_text':
      await pages[cmd.page].getByText(cmd.text, { exact: false }).first()
        .waitFor({ timeout: cmd.timeout ?? 10000 });
      return true;
    case 'screenshot':
      await pages[cmd.page].screenshot({ path: cmd.path, fullPage: true });
      return cmd.path;
    case 'close':
      await browser.close();
      return true;
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

// Commands run concurrently: a test may wait for a message in one page while it
// sends from another.
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  const done = handle(cmd).then(
    (result) => ({ id: cmd.id, ok: true, result: result ?? null }),
    (e) => ({ id: cmd.id, ok: false, error: String((e && e.stack) || e) }));
  done.then((answer) => process.stdout.write(JSON.stringify(answer) + '\n'));
  if (cmd.op === 'close') {
    await done;
    break;
  }
}
await browser.close().catch(() => {});
process.exit(0);
