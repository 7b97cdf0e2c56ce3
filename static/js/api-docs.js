/* The public API's documentation page (/api/docs/): Swagger UI, from our own static files, over the
   schema at the address in data-schema-url. Nothing is fetched from anywhere else: the online
   validator badge (validator.swagger.io) is switched off. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: node.getAttribute("data-schema-url"),
    domNode: node,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    docExpansion: "list"
  });
})();
