"""The TrueFoundry control plane over HTTP: the client, its errors, and which control plane to talk to."""
