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
        // The object first, what surrounds it in rows below: the same
        // drawing every time, and nodes never on top of each other.
        layout: { name: "breadthfirst", roots: "[id = \"" + g.nodes[0].data.id + "\"]", directed: false, spacingFactor: 1.2, padding: 40, animate: false },
        // A graph of one or two nodes is fitted without zooming in on them.
        maxZoom: 1.5,
        minZoom: 0.2,
        style: [
          { selector: "node", style: { "label": "data(label)", "background-color": "#767676", "border-width": 2, "border-color": "#000",
            "color": "#1a1a1a", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "ellipsis", "text-max-width": 110,
            "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
          // Nodes take their TLP colour (TLP 2.0, as the banners).
          { selector: "node[tlp = 'TLP:RED']", style: { "background-color": "#ff2b2b" } },
          { selector: "node[tlp = 'TLP:AMBER'], node[tlp = 'TLP:AMBER+STRICT']", style: { "background-color": "#ffc000" } },
          { selector: "node[tlp = 'TLP:GREEN']", style: { "background-color": "#33ff00" } },
          { selector: "node[tlp = 'TLP:CLEAR']", style: { "background-color": "#fff" } },
          // Edge labels small, along the edge and on a white ground, so
          // they do not run over the node labels.
          { selector: "edge", style: { "label": "data(label)", "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5,
            "font-size": 8, "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.85,
            "text-background-padding": 2, "color": "#444", "line-color": "#767676", "target-arrow-color": "#767676" } }
        ]
      });
      cy.on("tap", "node", function (e) {
        var href = e.target.data("href");
        if (href && href.indexOf("/ui/objects/") === 0) { window.location.assign(href); }
      });
      el.setAttribute("data-zoom", String(cy.zoom()));
      el.setAttribute("data-loaded", String(g.nodes.length));
    })
    .catch(function () { el.textContent = "The graph could not be loaded."; });
});
