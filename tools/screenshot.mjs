// Photographs a dashboard page once it has rendered: node tools/screenshot.mjs <url> <out.png> <text to wait for>
import puppeteer from 'puppeteer-core';

const [url, out, text] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
  defaultViewport: { width: 1600, height: 900 },
});
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'networkidle2', timeout: 60000 });
  await page.waitForFunction(t => document.body.innerText.includes(t), { timeout: 60000 }, text);
  await new Promise(resolve => setTimeout(resolve, 2000));
  await page.screenshot({ path: out });
} finally {
  await browser.close();
}
