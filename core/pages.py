"""Page helpers of the kit: breadcrumbs, a filtered and paginated table."""

from django_tables2 import RequestConfig


def crumbs(current, *links):
    return {"links": [{"url": url, "title": title} for title, url in links], "current": current}


def filtered_table(request, filterset_class, table_class, queryset):
    """A list page's filters and its sortable, paginated table."""
    filterset = filterset_class(request.GET or None, queryset=queryset, user=request.user)
    table = table_class(filterset.qs)
    RequestConfig(request, paginate=True).configure(table)
    return filterset, table
