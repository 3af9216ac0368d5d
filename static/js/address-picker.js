// Checkout: choose a mainland address as province → city → district/county in three selects.
// The list (static/data/china-divisions.json, from this site) is loaded only on this page. Until
// it arrives, or without JavaScript, city and district are typed, and the server checks them
// against the same list and names what does not fit.
(function () {
  "use strict";
  var box = document.querySelector("[data-address-picker]");
  if (!box || !window.fetch) { return; }
  var province = box.querySelector('select[name="province"]');
  var cityInput = box.querySelector('input[name="city"]');
  var districtInput = box.querySelector('input[name="district"]');
  if (!province || !cityInput || !districtInput) { return; }

  // A select that takes the text field's place: same id (so its label still names it), name
  // and description.
  function selectFor(input) {
    var select = document.createElement("select");
    ["id", "name", "autocomplete", "aria-describedby", "aria-invalid"].forEach(function (name) {
      if (input.hasAttribute(name)) { select.setAttribute(name, input.getAttribute(name)); }
    });
    input.replaceWith(select);
    return select;
  }

  function option(select, value, text, chosen) {
    var item = new Option(text, value, false, chosen);
    select.add(item);
  }

  // Fill a select with [code, name, ...] rows; the only row of a list is chosen at once.
  function fill(select, rows, prompt, chosen) {
    select.textContent = "";
    option(select, "", prompt, false);
    rows.forEach(function (row) {
      option(select, row[1], row[1], row[1] === chosen || rows.length === 1);
    });
    select.disabled = rows.length === 0;
  }

  function build(data) {
    var cities = {};
    data.provinces.forEach(function (row) { cities[row[1]] = row[2]; });
    var typedCity = cityInput.value.trim();
    var typedDistrict = districtInput.value.trim();
    var city = selectFor(cityInput);
    var district = selectFor(districtInput);

    function cityRow() {
      var rows = cities[province.value] || [];
      for (var i = 0; i < rows.length; i += 1) {
        if (rows[i][1] === city.value) { return rows[i]; }
      }
      return null;
    }
    function fillDistricts(chosen) {
      var row = cityRow();
      if (row && row[2].length === 0) {
        // 仙桃市, 济源市, ...: no county level; a disabled select sends nothing.
        district.textContent = "";
        option(district, "", box.dataset.noDistrict, true);
        district.disabled = true;
        return;
      }
      fill(district, row ? row[2] : [], box.dataset.chooseDistrict, chosen);
    }
    function fillCities(chosenCity, chosenDistrict) {
      fill(city, cities[province.value] || [], box.dataset.chooseCity, chosenCity);
      fillDistricts(chosenDistrict);
    }
    province.addEventListener("change", function () { fillCities("", ""); });
    city.addEventListener("change", function () { fillDistricts(""); });
    fillCities(typedCity, typedDistrict);
  }

  fetch(box.dataset.divisions, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    })
    .then(build)
    .catch(function () { /* The typed fields stay; the server checks them. */ });
})();
