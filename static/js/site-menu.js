// The phone menu: the header's navigation, search and tools fold behind one button on narrow screens.
// Without this script the button stays hidden and everything in the header wraps instead.
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        var toggle = document.querySelector(".site-menu-toggle");
        var menu = document.getElementById("site-menu");
        if (!toggle || !menu) return;
        document.documentElement.classList.add("has-site-menu");
        toggle.hidden = false;
        function set(open) {
            toggle.setAttribute("aria-expanded", open ? "true" : "false");
            menu.classList.toggle("is-open", open);
        }
        toggle.addEventListener("click", function () {
            set(toggle.getAttribute("aria-expanded") !== "true");
        });
        document.addEventListener("keydown", function (event) {
            if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
                set(false);
                toggle.focus();
            }
        });
    });
})();
