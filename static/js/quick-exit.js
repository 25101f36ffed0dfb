// "Leave this site": blank the page at once, then replace it (and its history entry) with
// a neutral site. Clicking the link, or pressing Shift three times within five seconds
// as on GOV.UK's "Exit this page", does it. Without JavaScript the link still leaves.
(() => {
  const link = document.querySelector("[data-quick-exit]");
  if (!link) return;

  const PRESSES = 3;
  const WINDOW_MS = 5000;
  let presses = [];
  let shiftAlone = false;

  function leave() {
    document.title = "";
    document.documentElement.classList.add("quick-exit-leaving");
    if (document.body) document.body.hidden = true;
    window.location.replace(link.href);
  }

  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    leave();
  });

  // Shift used as a modifier (typing a capital letter) does not count: only Shift pressed
  // and released on its own.
  document.addEventListener("keydown", (event) => {
    shiftAlone = event.key === "Shift" && !event.repeat;
    if (event.key !== "Shift") presses = [];
  });
  document.addEventListener("keyup", (event) => {
    if (event.key !== "Shift" || !shiftAlone) return;
    shiftAlone = false;
    const now = Date.now();
    presses = presses.filter((time) => now - time < WINDOW_MS);
    presses.push(now);
    if (presses.length >= PRESSES) {
      presses = [];
      leave();
    }
  });

  // Coming back to this page from the browser's cache shows nothing of it.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && document.documentElement.classList.contains("quick-exit-leaving")) {
      leave();
    }
  });
})();
