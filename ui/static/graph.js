// Tearline portal: draw an object's relationship graph with cytoscape.js
// from the JSON the portal answers (already through the access decision).
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("graph");
  if (!el || typeof cytoscape === "undefined") { return; }
  fetch(el.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (g) {
      var cy = cytoscape({
        container: el,
        elements: { nodes: g.nodes, edges: g.edges },
        layout: { name: "cose", animate: false },
        style: [
          { selector: "node", style: { "label": "data(label)", "background-color": "#0b4f9c", "color": "#1a1a1a", "font-size": 11, "text-wrap": "ellipsis", "text-max-width": 140 } },
          { selector: "edge", style: { "label": "data(label)", "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5, "font-size": 9, "line-color": "#767676", "target-arrow-color": "#767676" } }
        ]
      });
      cy.on("tap", "node", function (e) {
        var href = e.target.data("href");
        if (href && href.indexOf("/ui/objects/") === 0) { window.location.assign(href); }
      });
      el.setAttribute("data-loaded", String(g.nodes.length));
    })
    .catch(function () { el.textContent = "The graph could not be loaded."; });
});
