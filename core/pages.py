"""Page helpers of the kit: breadcrumbs, a filtered and paginated table."""

from django_tables2 import RequestConfig

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


def crumbs(current, *links):
    return {"links": [{"url": url, "title": title} for title, url in links], "current": current}


def bounded_int(raw, default, minimum, maximum):
    """A number read from a request: ``default`` if it is not one, else kept within bounds."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return min(max(value, minimum), maximum)


class BoundedRequestConfig(RequestConfig):
    """django-tables2's request configuration with a page size the request
    cannot make negative, zero or unbounded (it was a 500, or every row)."""

    def configure(self, table):
        name = table.prefixed_per_page_field
        if name in self.request.GET and self.paginate:
            default = (
                self.paginate.get("per_page", DEFAULT_PER_PAGE) if hasattr(self.paginate, "items") else DEFAULT_PER_PAGE
            )
            query = self.request.GET.copy()
            query[name] = str(bounded_int(query.get(name), default, 1, MAX_PER_PAGE))
            self.request.GET = query
        return super().configure(table)


def configure_table(request, table, **paginate):
    BoundedRequestConfig(request, paginate=paginate or True).configure(table)
    return table


def filtered_table(request, filterset_class, table_class, queryset):
    """A list page's filters and its sortable, paginated table."""
    filterset = filterset_class(request.GET or None, queryset=queryset, user=request.user)
    table = table_class(filterset.qs)
    configure_table(request, table)
    return filterset, table
