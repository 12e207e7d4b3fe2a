"""core/render"""
