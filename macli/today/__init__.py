"""The day sheet that ties the areas together: `macli today`."""
