/* dcsite map page (MIT, part of dcsite): draws a run's layers with Leaflet from the JSON that
 * optimizer/export/webmap.py embeds in the page (script#dcsite-data). Needs no network: the
 * base layer is the US states drawn as vectors; online tiles are an optional base layer.
 *
 * Every built site gets exactly one marker with the class "dcsite-site" (plus "dcsite-campus" or
 * "dcsite-edge"); when done, <body data-dcsite-rendered="N"> holds that count, and script errors
 * are listed in #dcsite-errors (the browser test reads both).
 */
(function () {
  "use strict";
  var errorBox = document.getElementById("dcsite-errors");
  window.addEventListener("error", function (event) {
    errorBox.textContent += (event.message || "script error") + "\n";
  });

  var D = JSON.parse(document.getElementById("dcsite-data").textContent);
  var S = D.style;

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(value, key) {
    if (value === null || value === undefined) return "\u2013";
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "number") {
      var a = Math.abs(value);
      var digits = a >= 1000 ? 0 : a >= 10 ? 1 : a >= 0.01 || a === 0 ? 2 : 4;
      if (key === "lat" || key === "lon") digits = 4;
      return value.toLocaleString("en-US", { maximumFractionDigits: digits });
    }
    return String(value);
  }
  function popup(title, props, fields) {
    var rows = fields
      .filter(function (f) { return Object.prototype.hasOwnProperty.call(props, f[0]); })
      .map(function (f) {
        return "<tr><th>" + esc(f[1]) + "</th><td>" + esc(fmt(props[f[0]], f[0])) + "</td></tr>";
      });
    return "<div class='dcsite-popup'><h3>" + esc(title) + "</h3><table>" + rows.join("") +
      "</table></div>";
  }
  function latlng(feature) {
    var c = feature.geometry.coordinates;
    return [c[1], c[0]];
  }
  function located(fc) {
    return (fc ? fc.features : []).filter(function (f) { return f.geometry; });
  }
  function regionColor(pct) {
    if (pct === null || pct === undefined) return S.region_nodata;
    var color = S.region_colors[0];
    for (var i = 0; i < S.region_bins.length; i++) {
      if (pct >= S.region_bins[i]) color = S.region_colors[i];
    }
    return color;
  }

  var map = L.map("map", { zoomSnap: 0.25, zoomDelta: 0.5 });
  function pane(name, z) {
    map.createPane(name).style.zIndex = z;
    return name;
  }
  var baseLayers = {};
  var overlays = {};

  // base layers: vector states (offline, default) or online tiles (optional)
  var states = L.layerGroup();
  if (D.states) {
    states = L.geoJSON(D.states, {
      pane: pane("dcsite-states", 210),
      interactive: false,
      style: { color: "#ffffff", weight: 0.8, fillColor: "#e6e2d6", fillOpacity: 1 },
    });
  }
  states.addTo(map);
  baseLayers["US states (offline)"] = states;
  baseLayers["OpenStreetMap tiles (online)"] = L.tileLayer(D.tiles.url, {
    attribution: D.tiles.attribution,
    maxZoom: 18,
  });

  // regions shaded by stranded power used
  var regions = L.geoJSON(D.regions, {
    pane: pane("dcsite-regions", 320),
    style: function (f) {
      return {
        className: "dcsite-region",
        color: "#6b6b6b",
        weight: 1,
        fillColor: regionColor(f.properties.stranded_used_pct),
        fillOpacity: 0.5,
      };
    },
    onEachFeature: function (f, layer) {
      layer.bindPopup(popup("region " + f.properties.region, f.properties, D.fields.region));
    },
  });
  regions.addTo(map);
  overlays["Regions (shaded by stranded power used)"] = regions;

  // transmission context
  if (D.transmission) {
    var lines = L.geoJSON(D.transmission, {
      pane: pane("dcsite-transmission", 330),
      interactive: false,
      style: function (f) {
        var c = S.transmission[f.properties.volt_class] || "#555555";
        return { color: c, weight: f.properties.volt_class === "345" ? 0.7 : 1.1, opacity: 0.55,
          dashArray: f.properties.volt_class === "DC" ? "4 3" : null };
      },
    });
    lines.addTo(map);
    overlays["Transmission lines (345 kV and above, HVDC)"] = lines;
  }

  // assignment lines
  var assignments = located(D.assignments);
  var maxServed = Math.max.apply(null, [1e-9].concat(assignments.map(function (f) {
    return f.properties.served_mw || 0;
  })));
  var assignmentLayer = L.layerGroup();
  assignments.forEach(function (f) {
    var c = f.geometry.coordinates;
    L.polyline([[c[0][1], c[0][0]], [c[1][1], c[1][0]]], {
      pane: pane("dcsite-assignments", 410),
      className: "dcsite-assignment",
      color: S.assignment_color,
      weight: 1.5 + 4 * Math.sqrt((f.properties.served_mw || 0) / maxServed),
      opacity: 0.8,
    })
      .bindPopup(popup(f.properties.site + " \u2192 " + f.properties.metro, f.properties,
        D.fields.assignment))
      .addTo(assignmentLayer);
  });
  assignmentLayer.addTo(map);
  overlays["Assignments (site \u2192 metro)"] = assignmentLayer;

  // binding interfaces between zones (zonal runs): width by MW allowed, colour by value
  var interfaces = located(D.interfaces);
  if (interfaces.length) {
    var maxAllowed = Math.max.apply(null, [1e-9].concat(interfaces.map(function (f) {
      return Math.max(f.properties.forward_allowed_mw || 0, f.properties.reverse_allowed_mw || 0);
    })));
    var maxValue = Math.max.apply(null, [1e-9].concat(interfaces.map(function (f) {
      return f.properties.dual_usd_per_mw_year || 0;
    })));
    var interfaceLayer = L.layerGroup();
    interfaces.forEach(function (f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var allowed = Math.max(p.forward_allowed_mw || 0, p.reverse_allowed_mw || 0);
      L.polyline([[c[0][1], c[0][0]], [c[1][1], c[1][0]]], {
        pane: pane("dcsite-interfaces", 415),
        className: "dcsite-interface",
        color: S.interface_color,
        weight: 2 + 6 * Math.sqrt(allowed / maxAllowed),
        opacity: 0.35 + 0.6 * Math.sqrt((p.dual_usd_per_mw_year || 0) / maxValue),
        dashArray: p.kind && p.kind !== "AC" ? "6 4" : null,
      })
        .bindPopup(popup("interface " + p.from_zone + " \u2194 " + p.to_zone, p,
          D.fields.interface))
        .addTo(interfaceLayer);
    });
    interfaceLayer.addTo(map);
    overlays["Binding interfaces between zones"] = interfaceLayer;
  }

  // metros
  var metros = located(D.metros);
  var maxDemand = Math.max.apply(null, [1e-9].concat(metros.map(function (f) {
    return f.properties.inference_demand_mw || 0;
  })));
  var km = Math.max(0.45, Math.min(1, Math.sqrt(40 / Math.max(metros.length, 1))));
  var metroLayer = L.layerGroup();
  metros.forEach(function (f) {
    var unserved = (f.properties.unserved_mw || 0) > 1e-6;
    L.circleMarker(latlng(f), {
      pane: pane("dcsite-metros", 430),
      className: "dcsite-metro",
      radius: km * (3 + 7 * Math.sqrt((f.properties.inference_demand_mw || 0) / maxDemand)),
      color: "#ffffff",
      weight: 1,
      fillColor: unserved ? S.metro_unserved_color : S.metro_color,
      fillOpacity: 0.95,
    })
      .bindPopup(popup("metro " + f.properties.metro, f.properties, D.fields.metro))
      .addTo(metroLayer);
  });
  metroLayer.addTo(map);
  overlays["Metros (inference demand)"] = metroLayer;

  // sites: one "dcsite-site" marker per built site; unbuilt candidates small and hollow
  var sites = located(D.sites);
  function maxOf(key) {
    return Math.max.apply(null, [1e-9].concat(sites.map(function (f) {
      return f.properties[key] || 0;
    })));
  }
  var maxCampus = maxOf("campus_mw");
  var maxEdge = maxOf("edge_mw");
  // smaller circles when there are many built sites, so that a national plan stays readable
  var nBuilt = sites.filter(function (f) { return f.properties.built; }).length;
  var k = Math.max(0.45, Math.min(1, Math.sqrt(25 / Math.max(nBuilt, 1))));
  var campusLayer = L.layerGroup();
  var edgeLayer = L.layerGroup();
  var candidateLayer = L.layerGroup();
  var built = 0;
  sites.forEach(function (f) {
    var p = f.properties;
    var text = popup("site " + p.site + (p.built ? "" : " (not built)"), p,
      p.built ? D.fields.site : D.fields.candidate);
    var campus = (p.campus_mw || 0) > 1e-6;
    var edgeRadius = k * (4 + 10 * Math.sqrt((p.edge_mw || 0) / maxEdge));
    if (campus) {
      L.circleMarker(latlng(f), {
        pane: pane("dcsite-campuses", 450),
        className: "dcsite-site dcsite-campus",
        radius: k * (6 + 16 * Math.sqrt(p.campus_mw / maxCampus)),
        color: "#ffffff",
        weight: 1.5,
        fillColor: S.campus_color,
        fillOpacity: 0.85,
      }).bindPopup(text).addTo(campusLayer);
      if ((p.edge_mw || 0) > 1e-6) {
        // the same site also hosts edge modules: a ring in the edge layer, not a second site
        L.circleMarker(latlng(f), {
          pane: pane("dcsite-edge", 460),
          className: "dcsite-edge-ring",
          radius: edgeRadius,
          color: S.edge_color,
          weight: 2.5,
          fill: false,
        }).bindPopup(text).addTo(edgeLayer);
      }
      built += 1;
    } else if (p.built) {
      L.circleMarker(latlng(f), {
        pane: pane("dcsite-edge", 460),
        className: "dcsite-site dcsite-edge",
        radius: edgeRadius,
        color: "#ffffff",
        weight: 1.2,
        fillColor: S.edge_color,
        fillOpacity: 0.9,
      }).bindPopup(text).addTo(edgeLayer);
      built += 1;
    } else {
      L.circleMarker(latlng(f), {
        pane: pane("dcsite-candidates", 420),
        className: "dcsite-candidate",
        radius: nBuilt > 100 ? 2 : 3,
        color: S.candidate_color,
        weight: 1,
        fill: true,
        fillColor: "#ffffff",
        fillOpacity: 0.6,
      }).bindPopup(text).addTo(candidateLayer);
    }
  });
  candidateLayer.addTo(map);
  edgeLayer.addTo(map);
  campusLayer.addTo(map);
  overlays["Candidate sites (not built)"] = candidateLayer;
  overlays["Inference edge clusters (sized by MW)"] = edgeLayer;
  overlays["Training campuses (sized by MW)"] = campusLayer;

  L.control.layers(baseLayers, overlays, { collapsed: true, position: "topright" }).addTo(map);
  L.control.scale({ position: "bottomleft" }).addTo(map);

  // title and totals
  var info = L.control({ position: "topleft" });
  info.onAdd = function () {
    var div = L.DomUtil.create("div", "dcsite-box dcsite-info");
    var m = D.meta;
    var html = "<h2>" + esc(m.title) + "</h2>";
    m.lines.forEach(function (line) { html += "<div>" + esc(line) + "</div>"; });
    if (m.note) html += "<div class='note'>" + esc(m.note) + "</div>";
    div.innerHTML = html;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  info.addTo(map);

  // legend
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "dcsite-box dcsite-legend");
    function row(swatch, label) {
      return "<div class='row'>" + swatch + "<span>" + esc(label) + "</span></div>";
    }
    function dot(fill, border) {
      return "<span class='dcsite-swatch circle' style='background:" + fill +
        ";border:2px solid " + border + "'></span>";
    }
    function line(color, dashed) {
      return "<span class='dcsite-swatch line' style='border-top-color:" + color +
        (dashed ? ";border-top-style:dashed" : "") + "'></span>";
    }
    var html = "<h4>Sites (circle area \u221d MW)</h4>";
    function largest(mw) {
      return mw > 1e-6 ? "largest " + fmt(mw) + " MW" : "none built";
    }
    html += row(dot(S.campus_color, "#fff"), "training campus (" + largest(maxCampus) + ")");
    html += row(dot(S.edge_color, "#fff"), "inference edge cluster (" + largest(maxEdge) + ")");
    html += row(dot("transparent", S.edge_color), "edge modules at a campus site");
    html += row(dot("#fff", S.candidate_color), "candidate site, not built");
    html += row(dot(S.metro_color, "#fff"), "metro, demand served");
    html += row(dot(S.metro_unserved_color, "#fff"), "metro with unserved demand");
    html += row(line(S.assignment_color), "assignment (width \u221d served MW)");
    if (interfaces.length) {
      html += row(line(S.interface_color), "binding interface between zones (width \u221d " +
        "MW allowed, darker = more valuable)");
    }
    html += "<h4>Regions: stranded power used (%)</h4><div class='dcsite-ramp'>";
    S.region_bins.forEach(function (bin, i) {
      html += "<span style='background:" + S.region_colors[i] + "'>" + bin + "+</span>";
    });
    html += "<span style='background:" + S.region_nodata + "'>n/a</span></div>";
    if (D.transmission) {
      html += "<h4>Transmission</h4>";
      Object.keys(S.transmission).forEach(function (k) {
        var label = k === "DC" ? "HVDC" : k.replace(" AND ABOVE", "") + " kV" +
          (k.indexOf("ABOVE") >= 0 ? " and above" : "");
        html += row(line(S.transmission[k], k === "DC"), label);
      });
    }
    div.innerHTML = html;
    return div;
  };
  legend.addTo(map);

  // view: the plan (sites and metros), else the lower 48
  var points = sites.concat(metros).map(latlng);
  if (points.length) {
    var wide = map.getSize().x > 800;
    map.fitBounds(L.latLngBounds(points).pad(0.1), {
      maxZoom: 9,
      paddingTopLeft: [wide ? 60 : 10, wide ? 120 : 10],
      paddingBottomRight: [wide ? 230 : 10, 20],
    });
  } else {
    map.fitBounds([[24.5, -125], [49.5, -66.9]]);
  }
  document.body.setAttribute("data-dcsite-rendered", String(built));
})();
