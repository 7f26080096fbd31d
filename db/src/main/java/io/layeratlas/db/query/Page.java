package io.layeratlas.db.query;

import java.util.List;

/** One page of a list and where it sits. */
public record Page<T>(List<T> items, PageInfo info) {
    public Page {
        items = List.copyOf(items);
    }
}
