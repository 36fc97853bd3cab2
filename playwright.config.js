// End-to-end tests: Debian's Chromium (Playwright's own browser download is not used)
// against the built site, served by build.py on a fixed local port.
const { defineConfig } = require("@playwright/test");
const { PYTHON, CHROMIUM_PATH, CHROMIUM_ARGS } = require("./tests/e2e/env");

const PORT = Number(process.env.PYCNN_E2E_PORT || 18731);

module.exports = defineConfig({
  testDir: "tests/e2e",
  // Pyodide's cold start in headless Chromium takes seconds on 2 shared cores.
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    browserName: "chromium",
    baseURL: `http://127.0.0.1:${PORT}/`,
    serviceWorkers: "allow",
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    trace: "off",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: `"${PYTHON}" build.py --serve --port ${PORT}`,
    url: `http://127.0.0.1:${PORT}/files.json`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
