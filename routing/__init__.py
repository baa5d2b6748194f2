"""Street graph, snapping, stop-to-stop distances, walk order and turf cutting."""
