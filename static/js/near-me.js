// "Sort by distance from me" on /runs/, as progressive enhancement: the cards of every
// .run-list on the page are sorted by great-circle distance from their meeting point
// (data-lat/data-lon) to where the browser says we are. The position stays in this
// script: it is never sent, stored or put in the address, and nothing is loaded.
//
// <button type="button" data-near-me hidden data-asking=… data-sorted=… data-denied=…
//  data-unavailable=… data-away="{distance} km away" data-by-date=… data-dated=…>: shown
// when the browser can tell its location and a run on the page has coordinates. Once the
// runs are sorted it reads data-by-date ("Sort by date") and puts them back in the page's
// order. Texts come from the page (translated there); they are written into
// [data-near-me-status].
(function () {
  "use strict";

  var EARTH_RADIUS_KM = 6371;

  function radians(degrees) {
    return degrees * Math.PI / 180;
  }

  // Haversine: the distance along the Earth's surface, in km.
  function distanceKm(from, to) {
    var dLat = radians(to.lat - from.lat);
    var dLon = radians(to.lon - from.lon);
    var a = Math.pow(Math.sin(dLat / 2), 2) +
      Math.cos(radians(from.lat)) * Math.cos(radians(to.lat)) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function placeOf(card) {
    var lat = parseFloat(card.dataset.lat);
    var lon = parseFloat(card.dataset.lon);
    return isFinite(lat) && isFinite(lon) ? { lat: lat, lon: lon } : null;
  }

  function cardsOf(list) {
    return Array.prototype.filter.call(list.children, function (child) {
      return child.classList.contains("run-card");
    });
  }

  function formatKm(km) {
    var digits = km < 10 ? 1 : 0;
    return new Intl.NumberFormat(document.documentElement.lang || undefined, {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    }).format(km);
  }

  function showDistance(card, km, template) {
    var old = card.querySelector(".near-me-distance");
    if (old) old.remove();
    if (km === null || !template) return;
    var label = document.createElement("span");
    label.className = "near-me-distance nowrap";
    label.textContent = template.replace("{distance}", formatKm(km));
    // Beside the run's other facts (distance, pace) when the card has them.
    (card.querySelector(".run-facts") || card).appendChild(label);
  }

  function sortList(list, here, template) {
    var entries = cardsOf(list).map(function (card, index) {
      var place = placeOf(card);
      return { card: card, index: index, km: place ? distanceKm(here, place) : null };
    });
    // Runs without coordinates go last, in the order the page gave them.
    entries.sort(function (a, b) {
      if (a.km === null || b.km === null) {
        if (a.km !== b.km) return a.km === null ? 1 : -1;
        return a.index - b.index;
      }
      return a.km - b.km || a.index - b.index;
    });
    entries.forEach(function (entry) {
      showDistance(entry.card, entry.km, template);
      list.appendChild(entry.card);
    });
  }

  // Back in the order the page gave them (by date), without the distances.
  function unsortList(list, order) {
    order.forEach(function (card) {
      showDistance(card, null, null);
      list.appendChild(card);
    });
  }

  function tell(status, text) {
    if (status && text) status.textContent = text;
  }

  function setUp(button) {
    var status = document.querySelector("[data-near-me-status]");
    var lists = document.querySelectorAll(".run-list");
    var located = document.querySelectorAll(".run-list > .run-card[data-lat][data-lon]");
    if (!navigator.geolocation || !located.length) return;
    var byDistance = button.textContent;
    var pageOrder = Array.prototype.map.call(lists, cardsOf);
    var sorted = false;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (sorted) {
        Array.prototype.forEach.call(lists, function (list, index) {
          unsortList(list, pageOrder[index]);
        });
        sorted = false;
        button.textContent = byDistance;
        tell(status, button.dataset.dated);
        return;
      }
      button.disabled = true;
      tell(status, button.dataset.asking);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var here = { lat: position.coords.latitude, lon: position.coords.longitude };
          Array.prototype.forEach.call(lists, function (list) {
            sortList(list, here, button.dataset.away);
          });
          button.disabled = false;
          sorted = true;
          if (button.dataset.byDate) button.textContent = button.dataset.byDate;
          tell(status, button.dataset.sorted);
        },
        function (error) {
          button.disabled = false;
          tell(status, error.code === error.PERMISSION_DENIED ?
            button.dataset.denied : button.dataset.unavailable);
        },
        { enableHighAccuracy: false, timeout: 20000, maximumAge: 300000 }
      );
    });
  }

  var button = document.querySelector("[data-near-me]");
  if (button) setUp(button);
})();
