// Polls the import's state once a second and reloads the page when it ends.
(function () {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const percent = box.querySelector("[data-testid=import-percent]");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        bar.value = state.progress;
        percent.textContent = state.progress + " %";
        if (state.status !== box.dataset.status && (state.status === "termine" || state.status === "refuse")) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The network may hiccup: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
