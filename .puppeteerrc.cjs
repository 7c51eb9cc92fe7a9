// Browsers come from the system (Debian's chromium): installing must never download one.
module.exports = { skipDownload: true };
