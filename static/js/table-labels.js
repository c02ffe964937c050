// On a phone a table marked app-fit shows each row as a block of « label : value » lines
// (static/css/app.css). django-tables2 tables carry their labels (data-label, set per cell on the
// server); for the tables written by hand, each cell takes the text of its column's header here.
document.querySelectorAll(".app-fit table").forEach(function (table) {
  const headers = Array.from(table.querySelectorAll("thead th")).map(function (th) {
    return th.textContent.replace(/\s+/g, " ").trim();
  });
  if (!headers.length) {
    return;
  }
  table.querySelectorAll("tbody tr").forEach(function (row) {
    let column = 0;
    Array.from(row.children).forEach(function (cell) {
      const label = headers[column];
      if (label && !cell.hasAttribute("data-label")) {
        cell.setAttribute("data-label", label);
      }
      column += cell.colSpan || 1;
    });
  });
});
