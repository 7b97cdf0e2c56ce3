from django.contrib import admin

from .models import Enterprise, EnterpriseMember


class EnterpriseMemberInline(admin.TabularInline):
    model = EnterpriseMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "credit_code", "region")
    search_fields = ("name", "name_zh", "credit_code")
    inlines = [EnterpriseMemberInline]
