// A vendor renderer for the end-to-end tests: lists the report's objects by name and size. The
// dev stack pins its digest at start; the tests then change its bytes in transit and expect the
// customer's viewer to refuse it.
export async function render(view) {
  const report = await view.client.readPrefix(view.prefix);
  const list = document.createElement("ul");
  list.id = "plain-objects";
  for (const object of report.objects) {
    const item = document.createElement("li");
    item.textContent = `${object.key.slice(view.prefix.length)} (${object.size} bytes)`;
    list.append(item);
  }
  const heading = document.createElement("h1");
  heading.textContent = "Objects";
  view.root.replaceChildren(heading, list);
  view.status("");
}
