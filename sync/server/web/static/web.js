// The pages work without this script; it adds the print buttons and asks before a form that
// cannot be undone (data-confirm) is sent.
document.addEventListener("click", (event) => {
  const printer = event.target.closest("[data-print]");
  if (printer) { event.preventDefault(); window.print(); }
});
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
