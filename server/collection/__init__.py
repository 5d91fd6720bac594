"""Server side of the site collector: device lists for collectors, SSH host keys, discovery."""
