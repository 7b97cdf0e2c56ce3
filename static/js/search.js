/* Header search autocomplete: asks /api/search/suggest/ as the visitor types and lists
   service items and listings; arrow keys + Enter or a click pick one. Text is inserted with
   textContent, never as HTML. */
(function () {
    "use strict";
    function init(form) {
        var input = form.querySelector("input[name=q]");
        var list = form.querySelector("[role=listbox]");
        var url = form.getAttribute("data-suggest-url");
        var timer = null, active = -1, items = [], seq = 0;

        function close() {
            list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1;
        }
        function render(suggestions) {
            list.textContent = ""; items = suggestions;
            suggestions.forEach(function (s, i) {
                var li = document.createElement("li");
                li.setAttribute("role", "option"); li.id = "header-search-opt-" + i;
                li.className = "header-search__item header-search__item--" + s.kind;
                li.textContent = s.text;
                li.addEventListener("mousedown", function (e) { e.preventDefault(); go(i); });
                list.appendChild(li);
            });
            if (suggestions.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } else { close(); }
        }
        function go(i) { if (items[i]) { window.location.href = items[i].url; } }
        function mark(i) {
            var options = list.querySelectorAll("[role=option]");
            options.forEach(function (o, j) { o.classList.toggle("active", j === i); o.setAttribute("aria-selected", j === i ? "true" : "false"); });
            active = i;
            if (options[i]) { input.setAttribute("aria-activedescendant", options[i].id); }
        }
        input.addEventListener("input", function () {
            clearTimeout(timer);
            var q = input.value.trim();
            if (!q) { close(); return; }
            timer = setTimeout(function () {
                var mine = ++seq;
                fetch(url + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
                    .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
                    .then(function (data) { if (mine === seq) { render(data.suggestions || []); } })
                    .catch(close);
            }, 150);
        });
        input.addEventListener("keydown", function (e) {
            if (list.hidden) { return; }
            if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
            else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(active - 1, 0)); }
            else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(active); }
            else if (e.key === "Escape") { close(); }
        });
        input.addEventListener("blur", function () { setTimeout(close, 100); });
    }
    document.querySelectorAll("form.header-search").forEach(init);
})();
