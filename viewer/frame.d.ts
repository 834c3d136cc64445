// viewer/frame.js, the isolated viewer's frame code, runs when the viewer's page loads it (the
// customer's gatekeeper serves it from its binary); it exports nothing.
export {};
