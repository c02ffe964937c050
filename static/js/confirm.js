// A form marked data-confirm asks before it is sent (deletions): the
// Content Security Policy forbids inline handlers, so the question lives here.
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
