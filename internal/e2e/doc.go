// Package e2e holds the end-to-end tests: they start the real convene
// binary as a process, on SQLite and on PostgreSQL, and drive it over HTTP
// exactly as a user or an operator would.
package e2e
