// @ts-check
// Inside the sandboxed preview frame (an opaque origin): writes the email the console posts, once. This page's CSP
// lets the email's inline styles apply and runs no script of the email's own.
addEventListener('message', (event) => {
  if (event.source !== parent || typeof event.data !== 'string') return;
  document.open();
  document.write(event.data);
  document.close();
});
