// The library without page loads: a change of filter fetches the same URL's filters and
// results (X-Library-Partial) and puts them in place; the URL and the back button follow.
// Without JavaScript the form and links work as they are.
(() => {
  const root = document.querySelector("[data-library]");
  const status = document.querySelector("[data-library-status]");
  if (!root || !window.fetch || !window.history.pushState) return;

  let latest = 0;

  function formUrl(form) {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim() !== "") params.append(name, value);
    }
    const query = params.toString();
    return form.action + (query ? `?${query}` : "");
  }

  // The feed of the head's <link rel="alternate"> follows the filters, as the server
  // renders it: the library's parameters but the page. The feed lives at feed/ under
  // the library (CONTRACT.md).
  const feedPath = new URL("feed/", new URL(window.location.pathname, window.location.href))
    .pathname;
  const feedLink = Array.from(
    document.head.querySelectorAll('link[rel="alternate"][type="application/rss+xml"]'),
  ).find((link) => new URL(link.href).pathname === feedPath);

  function followFeed(url) {
    if (!feedLink) return;
    const params = new URL(url, window.location.href).searchParams;
    params.delete("page");
    const query = params.toString();
    feedLink.href = feedPath + (query ? `?${query}` : "");
  }

  async function load(url, push) {
    const request = ++latest;
    root.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(url, { headers: { "X-Library-Partial": "1" } });
    } catch {
      window.location.href = url;
      return;
    }
    if (request !== latest) return; // a later change overtook this one
    if (!response.ok) {
      // A 400 or 404 page explains itself: show it whole.
      window.location.href = url;
      return;
    }
    const html = await response.text();
    if (request !== latest) return;
    const focused = document.activeElement && document.activeElement.id;
    root.innerHTML = html;
    root.removeAttribute("aria-busy");
    if (push) window.history.pushState({ library: true }, "", url);
    followFeed(url);
    const again = focused && document.getElementById(focused);
    if (again) again.focus();
    const count = root.querySelector(".results__count");
    if (status && count) status.textContent = count.textContent.trim().replace(/\s+/g, " ");
  }

  root.addEventListener("change", (event) => {
    const field = event.target;
    if (field.form && field.matches("input[type=checkbox], select")) {
      load(formUrl(field.form), true);
    }
  });

  root.addEventListener("submit", (event) => {
    event.preventDefault();
    load(formUrl(event.target), true);
  });

  root.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const target = new URL(link.href, window.location.href);
    if (target.origin !== window.location.origin || target.pathname !== window.location.pathname) {
      return;
    }
    event.preventDefault();
    load(target.href, true).then(() => {
      if (link.closest(".pagination")) root.scrollIntoView({ block: "start" });
    });
  });

  window.addEventListener("popstate", () => load(window.location.href, false));
})();
