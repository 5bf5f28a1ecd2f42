"""corpus/imports"""
