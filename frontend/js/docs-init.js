// The API reference at /docs: Swagger UI (vendored in /static/vendor/swagger-ui/) over this app's /openapi.json.
// A file of its own because the app's Content-Security-Policy allows no inline script; nothing comes from another host.
window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // Swagger UI would otherwise send the schema to validator.swagger.io for its "valid" badge.
  validatorUrl: null,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
