"""The pixel stage: frame sources (camera, video, photos), the pose model adapter, the change
gate, frame health and the adaptive analyzer that decides which frames the model sees.
"""
