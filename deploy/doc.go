// Package deploy holds TicketBlitz's container and monitoring configuration: the
// Prometheus scrape configuration and the provisioned Grafana datasource and dashboard
// used by the repository's docker-compose.yml. It has no Go code; its tests check that
// the Dockerfile, docker-compose.yml and these files agree with each other and with the
// program (its configuration variables, its Kafka topics and the metrics it registers).
package deploy
