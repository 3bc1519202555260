"""Where PostureGuard's files live and how they are read and written: platform folders, the atomic
writer, bounded reads of user-editable files, validation at the edge, files shipped in the package.
"""
