// Follows a background job (an import, an annex archive): polls its state once
// a second, moves the bar, and reloads the page when the job ends.
(function () {
  const box = document.querySelector("[data-progress]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const percent = box.querySelector("[data-progress-percent]");
  const final = (box.dataset.final || "termine refuse").split(" ");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        bar.value = state.progress;
        percent.textContent = state.progress + " %";
        const ended = state.finished !== undefined ? state.finished : final.includes(state.status);
        if (state.status !== box.dataset.status && ended) {
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
