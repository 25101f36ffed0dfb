// "Copy citation" on a resource's page. The button is hidden in the HTML and shown here,
// so a browser without JavaScript or without the Clipboard API never sees a dead button.
(() => {
  const status = document.querySelector("[data-copy-status]");
  for (const button of document.querySelectorAll("[data-copy-citation]")) {
    const source = document.querySelector(button.dataset.copyCitation);
    if (!source || !navigator.clipboard || !window.isSecureContext) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        if (status) status.textContent = button.dataset.copied;
      } catch {
        if (status) status.textContent = button.dataset.failed;
      }
      // Clear it, so copying again is announced again.
      window.setTimeout(() => {
        if (status) status.textContent = "";
      }, 3000);
    });
  }
})();
