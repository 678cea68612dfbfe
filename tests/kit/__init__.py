"""The offline test kit: tiny models built through the real loading code, loopback servers."""
