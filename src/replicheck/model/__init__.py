"""replicheck.model"""
