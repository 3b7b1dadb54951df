// Package apicheck holds the server's answers to the contract in tests: a Checker loads
// the embedded OpenAPI document (package docs), validates it as OpenAPI 3.1, and then
// tells whether a response — status, headers and body — is one the document allows for
// the request that got it (Response; Answer also accepts the 404 NOT_FOUND of a path
// the document does not have), and whether a websocket message fits its schema
// (Message). Its errors name the route, the status and the field that failed, so a
// drifted, missing or extra field reads like a diff.
package apicheck
