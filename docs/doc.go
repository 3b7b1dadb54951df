// Package docs ships the API's contract with the code: the OpenAPI 3.1 document of
// every route the server registers (openapi.yaml, beside the guides in this folder),
// embedded in the binary as YAML and as JSON, and the reference page that renders it
// (viewer/: Swagger UI, embedded, working offline).
package docs
