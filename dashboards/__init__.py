"""vigil.dashboards: Grafana dashboards as code and their provisioning."""
