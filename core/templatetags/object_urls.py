"""Django's ``{% url %}``, its URL read from the view's kept pattern (``core.urls.object_url``).

Loaded as a builtin of the template engine (settings ``TEMPLATES``), it replaces the default tag in
every template: a page of rows calls it for each row (the CPOM page some 80 times, 80 µs each through
``reverse``). Same syntax, same output, same errors; keyword arguments keep Django's own path."""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from core.urls import object_url

register = template.Library()


class ObjectURLNode(URLNode):
    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = object_url(view_name, *args, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return ObjectURLNode(node.view_name, node.args, node.kwargs, node.asvar)
