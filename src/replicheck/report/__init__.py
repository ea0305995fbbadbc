"""replicheck.report"""
