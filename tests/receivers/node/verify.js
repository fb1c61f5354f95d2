// Verifies one hookd delivery with the official Standard Webhooks library (npm `standardwebhooks`).
// Reads {"secret", "headers", "body"} JSON on stdin; exit 0 = verified, 1 = rejected,
// 3 = library not installed (run `npm ci` in this directory).
let Webhook;
try {
  ({ Webhook } = require("standardwebhooks"));
} catch (e) {
  console.error(`missing: ${e.message}`);
  process.exit(3);
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const msg = JSON.parse(input);
  try {
    const payload = new Webhook(msg.secret).verify(msg.body, msg.headers);
    console.log("verified", JSON.stringify(payload));
  } catch (e) {
    console.error(`rejected: ${e.name}: ${e.message}`);
    process.exit(1);
  }
});
